"""The ICR domain: pydantic models shared by the workflow, its activities and the clients."""
