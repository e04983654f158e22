"""Access: an option evaluated for every area (minutes under the pathway, patients per site),
compared with another, and split by deprivation and rurality (equity).
"""
