"""Operations: the probes a load balancer and an orchestrator ask (/healthz, /readyz) and the
Prometheus metrics (/metrics). A surface over every domain, like the API."""
