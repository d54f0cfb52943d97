"""The UI's views, one module per area: sign-in and account, domains, commands."""
