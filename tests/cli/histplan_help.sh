# --help is the usage on stdout, exit 0.
histplan --help
