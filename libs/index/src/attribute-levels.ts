// Which top-level attributes belong to which level of the QIDO-RS hierarchy, so that a study or series
// result can carry the attributes of its level (includefield) without reading any instance.
// From the Information Entity of each module in PS3.3 (Table A.1-1 and the IOD tables): Patient IE
// modules go with the patient and the study, Study IE modules with the study, Series / Equipment /
// Frame of Reference IE modules with the series. Everything else is instance level.
import { Tag, type Keyword } from '@pacs/dicom';

const tagsOf = (keywords: readonly Keyword[]): ReadonlySet<string> => new Set(keywords.map((k) => Tag[k]));

/** PS3.3 §C.7.1.1 Patient, §C.7.1.4 Patient Group Macro, plus Specific Character Set to decode them. */
export const patientLevelTags = tagsOf([
  'SpecificCharacterSet',
  'PatientName',
  'PatientID',
  'IssuerOfPatientID',
  'IssuerOfPatientIDQualifiersSequence',
  'TypeOfPatientID',
  'PatientBirthDate',
  'PatientBirthTime',
  'PatientSex',
  'OtherPatientIDsSequence',
  'OtherPatientNames',
  'PatientBirthName',
  'PatientMotherBirthName',
  'EthnicGroup',
  'PatientComments',
  'PatientSpeciesDescription',
  'PatientSpeciesCodeSequence',
  'PatientBreedDescription',
  'PatientBreedCodeSequence',
  'BreedRegistrationSequence',
  'ResponsiblePerson',
  'ResponsiblePersonRole',
  'ResponsibleOrganization',
  'PatientIdentityRemoved',
  'DeidentificationMethod',
  'DeidentificationMethodCodeSequence',
  'QualityControlSubject',
  'StrainDescription',
  'StrainNomenclature',
  'GeneticModificationsSequence',
  'ReferencedPatientSequence',
  'ReferencedPatientPhotoSequence',
]);

/** PS3.3 §C.7.2.1 General Study, §C.7.2.2 Patient Study, §C.7.2.3 Clinical Trial Study. */
export const studyLevelTags = tagsOf([
  'StudyInstanceUID',
  'StudyDate',
  'StudyTime',
  'ReferringPhysicianName',
  'ReferringPhysicianIdentificationSequence',
  'ConsultingPhysicianName',
  'ConsultingPhysicianIdentificationSequence',
  'StudyID',
  'AccessionNumber',
  'IssuerOfAccessionNumberSequence',
  'StudyDescription',
  'PhysiciansOfRecord',
  'PhysiciansOfRecordIdentificationSequence',
  'NameOfPhysiciansReadingStudy',
  'PhysiciansReadingStudyIdentificationSequence',
  'RequestingServiceCodeSequence',
  'ReferencedStudySequence',
  'ProcedureCodeSequence',
  'ReasonForPerformedProcedureCodeSequence',
  'TimezoneOffsetFromUTC',
  'AdmittingDiagnosesDescription',
  'AdmittingDiagnosesCodeSequence',
  'PatientAge',
  'PatientSize',
  'PatientWeight',
  'PatientBodyMassIndex',
  'MeasuredAPDimension',
  'MeasuredLateralDimension',
  'MedicalAlerts',
  'Allergies',
  'SmokingStatus',
  'PregnancyStatus',
  'LastMenstrualDate',
  'PatientState',
  'Occupation',
  'AdditionalPatientHistory',
  'AdmissionID',
  'IssuerOfAdmissionIDSequence',
  'ServiceEpisodeID',
  'ServiceEpisodeDescription',
  'PatientSexNeutered',
  'ClinicalTrialTimePointID',
  'ClinicalTrialTimePointDescription',
  'ConsentForClinicalTrialUseSequence',
]);

/**
 * PS3.3 §C.7.3.1 General Series, §C.7.5.1 General Equipment, §C.7.4.1 Frame of Reference,
 * §C.7.3.2 Clinical Trial Series, and the series attributes common to the modality series modules.
 */
export const seriesLevelTags = tagsOf([
  'Modality',
  'SeriesInstanceUID',
  'SeriesNumber',
  'Laterality',
  'SeriesDate',
  'SeriesTime',
  'PerformingPhysicianName',
  'PerformingPhysicianIdentificationSequence',
  'ProtocolName',
  'SeriesDescription',
  'SeriesDescriptionCodeSequence',
  'OperatorsName',
  'OperatorIdentificationSequence',
  'ReferencedPerformedProcedureStepSequence',
  'RelatedSeriesSequence',
  'BodyPartExamined',
  'PatientPosition',
  'SmallestPixelValueInSeries',
  'LargestPixelValueInSeries',
  'RequestAttributesSequence',
  'PerformedProcedureStepID',
  'PerformedProcedureStepStartDate',
  'PerformedProcedureStepStartTime',
  'PerformedProcedureStepEndDate',
  'PerformedProcedureStepEndTime',
  'PerformedProcedureStepDescription',
  'PerformedProtocolCodeSequence',
  'CommentsOnThePerformedProcedureStep',
  'AnatomicalOrientationType',
  'Manufacturer',
  'InstitutionName',
  'InstitutionAddress',
  'StationName',
  'InstitutionalDepartmentName',
  'InstitutionalDepartmentTypeCodeSequence',
  'ManufacturerModelName',
  'DeviceSerialNumber',
  'SoftwareVersions',
  'SpatialResolution',
  'DateOfLastCalibration',
  'TimeOfLastCalibration',
  'PixelPaddingValue',
  'FrameOfReferenceUID',
  'PositionReferenceIndicator',
  'ClinicalTrialCoordinatingCenterName',
  'ClinicalTrialSeriesID',
  'ClinicalTrialSeriesDescription',
]);

/** What an instance row keeps for QIDO-RS instance results (PS3.18 Table 10.6.3-5), besides its columns. */
export const instanceLevelTags = tagsOf([
  'SpecificCharacterSet',
  'SOPClassUID',
  'SOPInstanceUID',
  'TimezoneOffsetFromUTC',
  'InstanceNumber',
  'Rows',
  'Columns',
  'BitsAllocated',
  'NumberOfFrames',
]);

export type DatasetLevel = 'patient' | 'study' | 'series' | 'instance';

/** The attributes of one level, picked out of an instance's data set. */
export function attributesOfLevel<T>(dataset: Record<string, T>, level: DatasetLevel): Record<string, T> {
  const tags = {
    patient: patientLevelTags,
    study: studyLevelTags,
    series: seriesLevelTags,
    instance: instanceLevelTags,
  }[level];
  const out: Record<string, T> = {};
  for (const [tag, element] of Object.entries(dataset)) {
    if (tags.has(tag) || (level === 'study' && patientLevelTags.has(tag))) out[tag] = element;
  }
  return out;
}
