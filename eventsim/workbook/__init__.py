"""What only the workbook needs: each notebook's exercise checks, widgets, charts and diagrams."""
