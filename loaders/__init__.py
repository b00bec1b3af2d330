"""Builders: turn upstream raw releases into versioned Hugging Face dataset repos (Parquet + card + eval.yaml).

Shared machinery lives in small modules (`raw` for finding and checking raw files, `records` for reading and
validating records, `parquet` for writing shards, `card` for the dataset card, `build` for the orchestration);
each suite has one module that only knows its upstream record formats (`rgb`).
"""
