"""The pass base class, typed options, registry and pipeline syntax."""
