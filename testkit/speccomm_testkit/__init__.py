"""speccomm's test kit (distribution `speccomm-testkit`, docs/decisions/0035).

- `speccomm_testkit.generate`: synthetic landing folders written to the landing contract, with a
  manifest of what was planted (`speccomm generate --scale demo --out DIR`, docs/generator.md);
- `speccomm_testkit.contract_validator`: an independent check of a landing folder against the
  contract page (`speccomm-check-landing DIR`).

The product (`speccomm`) never imports the kit, except its command line dispatching `generate`.
"""
