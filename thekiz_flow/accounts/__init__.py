"""The money documents: coaches' fee statements and the districts' accounts, as workbook
(openpyxl) and PDF (WeasyPrint, from an HTML template)."""
