"""Identity resolution: link customer records from several systems to one customer id per person,
with golden records and an audit trail (see docs/identity.md)."""
