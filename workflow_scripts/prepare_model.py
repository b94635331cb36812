"""Rule prepare_model: a registry entry -> a plain Hugging Face model folder."""

from judgerl import models, runtime


def main(snakemake):
    runtime.setup(snakemake)
    models.prepare(snakemake.params.spec, snakemake.output[0])


if __name__ == "__main__":
    main(runtime.current_job(globals()))
