// The helpers shared with the other test targets (expectations, seeded bytes, the backend
// conformance checks) live in BasinTestSupport.
@_exported import BasinTestSupport
