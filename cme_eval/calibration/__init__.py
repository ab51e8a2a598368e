"""The synthetic world fitted to published figures: targets as data, the emulator, the fit and
its check (``cme-eval calibrate``)."""
