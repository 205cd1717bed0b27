"""Pictures, masks and outpaint geometry shared by providers and the runner."""
