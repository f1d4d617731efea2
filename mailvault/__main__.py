from mailvault.cli.main import run

run()
