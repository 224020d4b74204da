"""One-stop-shop dossiers (hồ sơ): intake, workflow, deadlines, documents, results, payments, ratings."""
