"""Runs OmniGenBench's AutoBench on one benchmark folder and prints its test metrics as JSON (last line).

Executed by the python of the throwaway OmniGenBench venv that `scripts/bench.py` creates; gfmbench never imports
it. Run it in a scratch working directory: importing omnigenbench deletes checkpoint-like files there.

    python _omnigenbench_autobench.py BENCH_FOLDER MODEL_FOLDER EPOCHS BATCH_SIZE MAX_LENGTH LEARNING_RATE SEED
"""

import json
import sys

bench_folder, model_folder = sys.argv[1], sys.argv[2]
epochs, batch_size, max_length = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
learning_rate, seed = float(sys.argv[6]), int(sys.argv[7])

from omnigenbench import AutoBench  # noqa: E402  (after argv: a bad call fails before the slow import)

bench = AutoBench(bench_folder, model_folder, autocast="fp32", overwrite=True, trainer="native")
bench.run(epochs=epochs, batch_size=batch_size, max_length=max_length, learning_rate=learning_rate, seeds=[seed],
          lora=False, patience=epochs + 1)
metrics = {record: {name: values[-1] for name, values in by_metric.items()}
           for record, by_metric in bench.mv.transpose().items()}
print(json.dumps(metrics, default=float))
