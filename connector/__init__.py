"""One company's connector: DSP provider and consumer, data plane, enforcement, audit."""
