"""SMS and push providers behind one interface; see `base.Provider`."""
