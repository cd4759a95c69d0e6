"""SFT warm start (`siri sft`): behaviour cloning on oracle demonstrations, skill-conditioned
demonstrations and summary examples, so a tiny model can act, read skills and write them."""
