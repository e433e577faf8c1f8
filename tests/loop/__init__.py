"""The event loop: LabLoop against plain asyncio."""
