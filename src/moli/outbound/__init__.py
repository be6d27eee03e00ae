"""Going overseas (企业出海): outbound-investment pre-check, policy knowledge base, enterprise matchmaking."""
