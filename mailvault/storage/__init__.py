"""The bucket side: the only package that imports boto3."""
