"""Photos of proposals: upload, cleaning, storage (disk or S3) and serving."""
