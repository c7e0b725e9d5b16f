"""trailwatch: CloudTrail security alarms as code."""
