"""Runtimes beyond Python: Node.js handlers run by a small runtime interface client of ours
through the local Runtime API (:mod:`lambda_lab.runtimes.nodejs`)."""
