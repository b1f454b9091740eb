"""Generated from spec/proto by scripts/generate_protos.py. Do not edit."""
