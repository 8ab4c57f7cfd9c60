"""The channel-neutral dialogue engine that guides a contact through an invoice."""
