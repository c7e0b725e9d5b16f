"""The lab's test section as code: safe API calls per event, checked against deployed filters."""
