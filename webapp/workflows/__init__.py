"""Organization-level workflows: a trigger on contact state or a tracked event, waits,
conditions and actions, each run a work item that survives a worker restart."""
