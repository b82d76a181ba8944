"""Backup stores: where chunk objects and metadata documents live (POSIX folder, Swift, S3), one interface."""
