"""AG Grid's own words (pagination, filters, menus) in Vietnamese; English is the grid's default.

Pass as ``dashGridOptions={"localeText": grid_locale(lang), …}``.
"""

from __future__ import annotations

from dashboard.i18n import normalise_language

VI = {
    # pagination: "1 đến 20 trong 57", "Trang 1 / 3", "Số dòng mỗi trang:"
    "page": "Trang",
    "of": "/",
    "to": "đến",
    "more": "nữa",
    "pageSizeSelectorLabel": "Số dòng mỗi trang:",
    "pageLastRowUnknown": "?",
    "firstPage": "Trang đầu",
    "previousPage": "Trang trước",
    "nextPage": "Trang sau",
    "lastPage": "Trang cuối",
    "ariaPageSizeSelectorLabel": "Số dòng mỗi trang",
    "ariaPaginationFirstPage": "Trang đầu",
    "ariaPaginationPreviousPage": "Trang trước",
    "ariaPaginationNextPage": "Trang sau",
    "ariaPaginationLastPage": "Trang cuối",
    "ariaPaginationPage": "Trang",
    "ariaPaginationTotalPages": "Tổng số trang",
    "ariaPaginationRowCount": "Số dòng",
    # the grid's states
    "noRowsToShow": "Không có mục nào",
    "loadingOoo": "Đang tải…",
    "loadingError": "Lỗi khi tải",
    # filters
    "filterOoo": "Lọc…",
    "searchOoo": "Tìm…",
    "selectAll": "(Chọn tất cả)",
    "selectAllSearchResults": "(Chọn mọi kết quả)",
    "blanks": "(Trống)",
    "noMatches": "Không có kết quả",
    "equals": "Bằng",
    "notEqual": "Khác",
    "contains": "Chứa",
    "notContains": "Không chứa",
    "startsWith": "Bắt đầu bằng",
    "endsWith": "Kết thúc bằng",
    "blank": "Trống",
    "notBlank": "Không trống",
    "empty": "Chọn một điều kiện",
    "lessThan": "Nhỏ hơn",
    "greaterThan": "Lớn hơn",
    "lessThanOrEqual": "Nhỏ hơn hoặc bằng",
    "greaterThanOrEqual": "Lớn hơn hoặc bằng",
    "inRange": "Trong khoảng",
    "inRangeStart": "Từ",
    "inRangeEnd": "Đến",
    "before": "Trước",
    "after": "Sau",
    "andCondition": "VÀ",
    "orCondition": "HOẶC",
    "applyFilter": "Áp dụng",
    "resetFilter": "Đặt lại",
    "clearFilter": "Xóa lọc",
    "cancelFilter": "Hủy",
    "dateFormatOoo": "dd/mm/yyyy",
    "true": "Đúng",
    "false": "Sai",
    "ariaFilterInput": "Ô lọc",
    "ariaFilterValue": "Giá trị lọc",
    "ariaFilterFromValue": "Lọc từ giá trị",
    "ariaFilterToValue": "Lọc đến giá trị",
    "ariaFilterColumn": "Lọc cột",
    "ariaFilteringOperator": "Toán tử lọc",
    "ariaColumnFiltered": "Cột đang được lọc",
    "ariaSearchFilterValues": "Tìm giá trị lọc",
    "ariaFloatingFilterLabel": "Ô lọc nhanh",
    # column menu and sorting
    "pinColumn": "Ghim cột",
    "pinLeft": "Ghim trái",
    "pinRight": "Ghim phải",
    "noPin": "Bỏ ghim",
    "autosizeThisColumn": "Tự chỉnh độ rộng cột này",
    "autosizeAllColumns": "Tự chỉnh độ rộng mọi cột",
    "resetColumns": "Đặt lại các cột",
    "sortAscending": "Sắp xếp tăng dần",
    "sortDescending": "Sắp xếp giảm dần",
    "sortUnSort": "Bỏ sắp xếp",
    "columns": "Cột",
    "filters": "Bộ lọc",
    "copy": "Sao chép",
    "ariaSortableColumn": "Nhấn Enter để sắp xếp",
    "ariaMenuColumn": "Nhấn Alt + mũi tên xuống để mở menu cột",
}


def grid_locale(lang: str) -> dict[str, str]:
    """The grid's words for ``lang`` (an empty table: AG Grid's own English)."""
    return dict(VI) if normalise_language(lang) == "vi" else {}
