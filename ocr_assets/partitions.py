"""One partition per paper; imported by the sensor and the assets so they can never disagree."""

import dagster as dg

papers_partitions = dg.DynamicPartitionsDefinition(name="papers")
