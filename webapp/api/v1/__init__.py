"""The /api/v1 operations, one module per resource; each declares its routes with
webapp.api.framework.operation."""
