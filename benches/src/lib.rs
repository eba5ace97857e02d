//! `cairn-benches`: criterion benches of Cairn's hot paths (see `benches/`). No library code.
