import { Module } from '@nestjs/common';
import { ApproveExportHandler } from './approve-export.command';
import { DownloadExportHandler } from './download-export.command';
import { ExportFiles } from './export-files';
import { ExportGeneration } from './export-generation';
import { ExportPlanner } from './export-planner';
import { ExportSelection } from './export-selection';
import { ExportHandler } from './export.query';
import { ExportsController } from './exports.controller';
import { PreviewExportHandler } from './preview-export.query';
import { RejectExportHandler } from './reject-export.command';
import { RequestExportHandler } from './request-export.command';

/** Exports: requests and approval, background generation (resumed at start-up), files and downloads. */
@Module({
  controllers: [ExportsController],
  providers: [
    ExportSelection,
    ExportPlanner,
    ExportGeneration,
    ExportFiles,
    RequestExportHandler,
    ApproveExportHandler,
    RejectExportHandler,
    DownloadExportHandler,
    PreviewExportHandler,
    ExportHandler,
  ],
})
export class ExportsModule {}
