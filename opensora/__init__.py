"""Open-Sora v1.2 compatible model stack, PSFT and ORO; see the model-stack, PSFT and ORO issues.

May import ``evaluation`` (schema, metrics, perception adapters); never the reverse.
"""
