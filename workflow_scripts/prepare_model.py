"""Rule prepare_model: a registry entry -> a plain Hugging Face model folder."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # the judgerl library sits beside this script

from judgerl import models, runtime

runtime.setup(snakemake)
models.prepare(snakemake.params.spec, snakemake.output[0])
