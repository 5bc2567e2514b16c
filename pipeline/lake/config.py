"""`LakeConfig`: how the lake writes and uploads files, loaded from `configs/lake.yaml`.

Nothing here says where the lake is or how to log in: the URI is a setting (`LAKE_URI`) and S3
credentials/endpoint come only from the standard AWS chain (env, profiles, instance roles).
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class LakeConfig:
    """Parquet layout, spool batching and S3 transfer behaviour."""

    # Final Parquet files
    compression: str = "zstd"
    compression_level: int = 6
    # A row group ends at whichever bound it reaches first; the writer holds one row group in memory.
    row_group_rows: int = 10_000  # scans skip, readers stream
    row_group_bytes: int = 64 * MIB  # Arrow (uncompressed) bytes: 10,000 rows of 50 KB texts would be 500 MB
    max_rows_per_file: int = 200_000  # a bigger run is split into several `part-<run>-<n>` files
    # Spool: rows buffered in memory before they go to a local Parquet batch file
    spool_batch_rows: int = 2_000
    spool_batch_bytes: int = 32 * MIB
    # S3 transfer (boto3 managed transfer)
    multipart_threshold: int = 64 * MIB
    multipart_chunksize: int = 16 * MIB
    max_concurrency: int = 4
    checksum_algorithm: str = "CRC32"  # per-request checksum the server verifies (CRC32, CRC32C, SHA1, SHA256)
    retry_mode: str = "standard"  # botocore retry mode: standard or adaptive (client-side rate limiting)
    max_attempts: int = 10  # configs/lake.yaml says why
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    # Multipart uploads (and a local lake's temporary files) older than this are removed when a run starts,
    # even if no spooled run names them and their writer's death cannot be checked.
    stale_upload_hours: float = 24.0
    # Writer lease (DEDUP_BACKEND=lake): renewed every quarter of this; free this long after its last renewal
    # (at once when its holder was on this machine and has exited).
    lease_seconds: float = 120.0

    def __post_init__(self) -> None:
        if self.retry_mode not in ("standard", "adaptive", "legacy"):
            raise ValueError(f"retry_mode must be standard, adaptive or legacy, not {self.retry_mode!r}")
        if self.checksum_algorithm not in ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"):
            raise ValueError(f"checksum_algorithm must be CRC32, CRC32C, CRC64NVME, SHA1 or SHA256, not {self.checksum_algorithm!r}")
        if self.row_group_bytes < MIB:
            raise ValueError("row_group_bytes must be at least 1 MiB (1048576)")
        if self.multipart_chunksize < 5 * MIB:
            raise ValueError("multipart_chunksize must be at least 5 MiB (the S3 minimum part size)")
        for name in ("row_group_rows", "max_rows_per_file", "spool_batch_rows", "max_attempts"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.lease_seconds < 4:
            raise ValueError("lease_seconds must be at least 4 (the lease is renewed every quarter of it)")
        if self.max_rows_per_file < self.row_group_rows:
            raise ValueError("max_rows_per_file must be at least row_group_rows")
