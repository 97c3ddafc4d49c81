"""Layer 1, the core: leads and events as a Dataset, the decision moment (AsOf), the
scoring model spec, stage 1 (hits) and stage 2 (scoring). Imports nothing else of the
project."""
