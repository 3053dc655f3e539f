# Meta-training: reproduces the shipped learned optimizer from its configuration.


rule metatrain:
    input: config["metatrain"]["config"]
    output:
        optimizer=f"{RESULTS}/metatrain/optimizer.pt",
        curve=f"{RESULTS}/metatrain/training_curve.png",
        check=f"{RESULTS}/metatrain/reproduction.txt",
    log: f"{RESULTS}/metatrain/metatrain.log"
    params:
        folder=f"{RESULTS}/metatrain",
        workers=config["metatrain"]["workers"],
    threads: config["metatrain"]["workers"]
    resources: mem_mb=4000, runtime=600, tasks=1
    shell:
        "{{ {LOPT} train {input:q} --out {params.folder:q} --workers {params.workers:q} && "
        "{LOPT} optimizer compare {output.optimizer:q} > {output.check:q}; }} > {log:q} 2>&1"
