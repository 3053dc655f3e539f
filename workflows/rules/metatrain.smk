# Meta-training: reproduces the shipped learned optimizer from its configuration.


rule metatrain:
    input: config["metatrain"]["config"]
    output:
        optimizer=f"{RESULTS}/metatrain/optimizer.pt",
        curve=f"{RESULTS}/metatrain/training_curve.png",
        check=f"{RESULTS}/metatrain/reproduction.txt",
    params: workers=config["metatrain"].get("workers", 1)
    threads: config["metatrain"].get("workers", 1)
    resources: mem_mb=4000, runtime=600, tasks=1
    shell:
        "{LOPT} train {input} --out {RESULTS}/metatrain --workers {params.workers} && "
        "{LOPT} optimizer compare {output.optimizer} > {output.check}"
