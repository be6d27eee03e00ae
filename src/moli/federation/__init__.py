"""Federation (平台互联): node identity, signed catalogue export and pull-sync between moli nodes.

Answers the seed's "加强与上海市语料库的对接联动" and "联动市级供需对接服务平台": a district node and a
municipal node each publish their public catalogue, signed with the node's Ed25519 key, and pull
their peers' catalogues.
"""
