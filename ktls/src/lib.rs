//! Kernel TLS offload for Baton.
