"""Numeric policies and lowerings (bfloat16 policy, int8 quantization)."""
