"""The ground floor every package stands on: errors, configs, output folders, identity records, batch jobs.

Nothing here imports another part of the project (``evaluation.core`` imports only itself and the
standard library, plus mmengine / tqdm lazily), so the simulator, the benchmark and the trainers
all use the same rules (README "Errors and recovery"):

- :mod:`~evaluation.core.errors` — the one user-error type (exit status 2, one line);
- :mod:`~evaluation.core.config` — mmengine configs closed to typos, typed sections, the CLI;
- :mod:`~evaluation.core.files` — atomic file / JSON writing;
- :mod:`~evaluation.core.outdirs` — folder ownership, ``DONE`` records, temporaries of dead processes;
- :mod:`~evaluation.core.identity` — what made a result: input and settings identities, skip / redo / refuse;
- :mod:`~evaluation.core.batch` — the one batch-job runner (failures counted, reported, exit status);
- :mod:`~evaluation.core.weightfiles` — weight files checked before a library loads them;
- :mod:`~evaluation.core.runinfo` — git commit, package versions, command line.
"""
