"""One data-quality report per provider and run: HTML (standalone and email), text, CSV, chart.

Entry point: `build_provider_reports(con, run_id, out_dir)`. A provider's report holds only
its own records and figures, the median provider (never another provider by name), and no
pseudonymised identifier.
"""

from speccomm.reports.builder import ProviderReport, build_provider_reports

__all__ = ["ProviderReport", "build_provider_reports"]
