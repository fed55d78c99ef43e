"""``python -m collectors.simulator ROOT --days N``: write the simulated source systems."""

from collectors.simulator.sources import main

raise SystemExit(main())
