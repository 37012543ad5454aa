"""Export pydicom's copy of the DICOM data dictionary (PS3.6, PS3.7) and UID registry (PS3.6 Annex A)
to the JSON input of scripts/codegen/dictionary.ts.

pydicom generates its tables from the standard's own DocBook XML. Run this only to move to a newer
edition (pip install pydicom==X), commit the new input file, then run `npm run codegen`.
"""
import json
import sys

import pydicom
from pydicom import _dicom_dict, _uid_dict

out = {
    "source": f"pydicom {pydicom.__version__} (_dicom_dict.py, _uid_dict.py)",
    "elements": [
        {"tag": f"{tag:08X}", "vr": vr, "vm": vm, "name": name, "retired": retired == "Retired", "keyword": keyword}
        for tag, (vr, vm, name, retired, keyword) in sorted(_dicom_dict.DicomDictionary.items())
    ],
    "repeaters": [
        {"mask": mask.upper(), "vr": vr, "vm": vm, "name": name, "retired": retired == "Retired", "keyword": keyword}
        for mask, (vr, vm, name, retired, keyword) in sorted(_dicom_dict.RepeatersDictionary.items())
    ],
    "uids": [
        {"uid": uid, "name": name, "type": kind, "info": info, "retired": retired == "Retired", "keyword": keyword}
        for uid, (name, kind, info, retired, keyword) in _uid_dict.UID_dictionary.items()
    ],
}
json.dump(out, sys.stdout, indent=0, ensure_ascii=False)
sys.stdout.write("\n")
