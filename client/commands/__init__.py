"""The handlers behind each ``ember <group> <action>``: one module a resource group."""
