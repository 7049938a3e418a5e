"""The course's topics (one per notebook) and the exam domains questions are tagged with."""

from __future__ import annotations

#: Notebook slug -> title, in course order. A slug is the notebook's file name without ``.ipynb``.
TOPICS: dict[str, str] = {
    "01-first-function": "Your first function",
    "02-memory-cpu-timeout": "Memory, CPU and timeout",
    "03-execution-context": "The execution context",
    "04-concurrency": "Concurrency",
    "05-event-sources": "Event sources",
    "06-versions-aliases-layers": "Versions, aliases and layers",
    "07-async-and-destinations": "Asynchronous invocation and destinations",
    "08-permissions-and-security": "Permissions and security",
    "09-observability": "Logs, metrics, alarms and tracing",
    "10-http-front-doors": "HTTP front doors",
    "11-lambda-at-edge": "Lambda@Edge and CloudFront Functions",
    "12-vpc": "Lambda in a VPC",
    "13-packaging-and-deployment": "Packaging and deployment",
}

#: The four content domains of the AWS Certified Developer – Associate exam (DVA-C02).
DOMAINS: tuple[str, ...] = (
    "Development with AWS Services",
    "Security",
    "Deployment",
    "Troubleshooting and Optimization",
)
